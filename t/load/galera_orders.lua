-- t/load/galera_orders.lua: order creation for wrk, from t/load/galera.
--
--   wrk -t2 -c32 -d10s --latency -s t/load/galera_orders.lua URL -- IDS
--
-- Each request is POST /api/v1/orders for one unit of a product picked at
-- random from the file IDS (one product id a line). The access token comes
-- from $BENCH_TOKEN. done() prints one line for the driver:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N status=N errors=N
-- where status counts non-2xx/3xx responses and errors socket errors.

local counter = 0

function setup(thread)
	thread:set("index", counter)
	counter = counter + 1
end

local ids = {}

function init(args)
	for line in io.lines(args[1]) do
		local n = tonumber(line)
		if n ~= nil then
			ids[#ids + 1] = n
		end
	end
	if #ids == 0 then
		error("no ids in " .. args[1])
	end
	math.randomseed(os.time() * 100 + (index or 0))
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
end

function request()
	local body = string.format('{"shipping_address":"1 Load Street",' ..
	    '"items":[{"product_id":%d,"quantity":1}]}', ids[math.random(#ids)])
	return wrk.format(nil, "/api/v1/orders", nil, body)
end

function done(summary, latency, requests)
	io.write(string.format(
	    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status=%d errors=%d\n",
	    summary.requests, summary.duration,
	    latency:percentile(50), latency:percentile(99),
	    summary.errors.status,
	    summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.timeout))
end
