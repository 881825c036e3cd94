-- t/load/bench.lua: the requests of one t/load/bench measurement, for wrk.
--
--   wrk -t2 -c64 -d10s --latency -s t/load/bench.lua URL -- PATH [IDS [MODE]]
--
-- PATH is the request path; a %d in it is replaced by an id from the file
-- IDS (one a line), picked at random, or with MODE "seq" in turn (each
-- thread walks all of them from its own starting point: to warm a cache).
-- MODE "order" POSTs a new order to PATH instead: one or three distinct
-- products from IDS (as many of each kind), one unit each; MODE "order1"
-- always one product (t/load/galera); MODE "refused" the bodies of "order"
-- with a shipping address of blanks (as long as the real one), which the
-- dispatcher refuses (422) on that top-level field before it reads
-- anything from MariaDB (faulty items would cost the caller's row first,
-- as the contract answers a refused caller before them). The access
-- token comes from $BENCH_TOKEN (not an argument: the process list is
-- public). done() prints one line for the driver:
--   BENCH requests=N duration_us=N p50_us=N p99_us=N status=N errors=N
-- where status counts non-2xx/3xx responses and errors socket errors.

-- setup() runs in wrk's main Lua state, once a thread, just before that
-- thread's init(): it numbers the threads.
local counter = 0

function setup(thread)
	thread:set("index", counter)
	counter = counter + 1
end

local path = "/"
local ids = {}
local sequential = false
local ordering = false
local single_item = false
local address = "1 Bench Road"
local next_id = 0

function init(args)
	path = args[1] or "/"
	if args[2] ~= nil then
		for line in io.lines(args[2]) do
			local n = tonumber(line)
			if n ~= nil then
				ids[#ids + 1] = n
			end
		end
		if #ids == 0 then
			error("no ids in " .. args[2])
		end
	end
	sequential = args[3] == "seq"
	ordering = args[3] == "order" or args[3] == "order1" or
	    args[3] == "refused"
	single_item = args[3] == "order1"
	if args[3] == "refused" then
		address = string.rep(" ", #address)
	end
	if ordering then
		local need = single_item and 1 or 3
		if #ids < need then
			error("orders need " .. need .. " products in " .. args[2])
		end
		wrk.headers["Content-Type"] = "application/json"
	end
	next_id = ((index or 0) * 7919) % math.max(#ids, 1)
	math.randomseed(os.time() * 100 + (index or 0))
	local token = os.getenv("BENCH_TOKEN")
	if token ~= nil and token ~= "" then
		wrk.headers["Authorization"] = "Bearer " .. token
	end
end

-- The body of an order of one unit of each of n distinct random products,
-- shipped to `address`.
local function order_body(n)
	local picked, items = {}, {}
	while #items < n do
		local id = ids[math.random(#ids)]
		if not picked[id] then
			picked[id] = true
			items[#items + 1] = string.format(
			    '{"product_id":%d,"quantity":1}', id)
		end
	end
	return '{"shipping_address":"' .. address .. '","items":[' ..
	    table.concat(items, ",") .. ']}'
end

function request()
	if ordering then
		local n = 1
		if not single_item and math.random(2) == 2 then
			n = 3
		end
		return wrk.format("POST", path, nil, order_body(n))
	end
	if #ids == 0 then
		return wrk.format("GET", path)
	end
	local id
	if sequential then
		id = ids[next_id % #ids + 1]
		next_id = next_id + 1
	else
		id = ids[math.random(#ids)]
	end
	return wrk.format("GET", string.format(path, id))
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
