-- t/load/soak.lua: the mixed workload of t/load/soak, for wrk.
--
--   SOAK_CREATED=FILE [SOAK_PAUSE_MS=N] [SOAK_QUIET=FILE] \
--   wrk -t2 -c32 -d60s -s t/load/soak.lua URL -- USERS PRODUCTS ITEMS
--
-- USERS is a file of "user_id access_token" lines (the soak's users;
-- a file, not arguments: the process list is public); PRODUCTS and ITEMS
-- list the seeded products' and their inventory records' ids, one a line.
-- With SOAK_PAUSE_MS each connection waits that long before each request
-- (the driver's rate cap); without it each connection sends its next
-- request as soon as the last is answered. (Environment, not arguments:
-- wrk's main Lua state, where done() runs, never sees the arguments.)
--
-- Each request is drawn at random:
--   80%  reads: GET /inventory/{id} 25, /inventory/product/{pid} 15,
--        /inventory?limit=20&skip=N 10, /products?limit=20&skip=N 10,
--        /products/{pid} 10, the user's own /orders?limit=10 10
--   15%  POST /orders: 1 to 3 different products, 1 to 3 units each,
--        for a random user
--    5%  DELETE /orders/{id}: one of the 20 newest orders this thread
--        has made, with its owner's token, each at most once (a read
--        while there is none)
-- so every answer should be 200, 201 or 204: anything else is counted by
-- status and the soak judges it.
--
-- done() writes SOAK_CREATED (the ids of the orders answered 201, one a
-- line) and prints one line for the driver:
--   SOAK requests=N duration_us=N p50_us=N p99_us=N errors=N s200=N ...
-- with a count per status seen and errors the socket errors.

local counter = 0
local threads = {}

-- setup() runs in wrk's main Lua state, once a thread, before its init().
function setup(thread)
	thread:set("index", counter)
	counter = counter + 1
	threads[#threads + 1] = thread
end

local users = {}	-- { {id=, headers=, json=} }
local by_uid = {}	-- user_id -> entry of users
local products = {}
local items = {}
-- Globals, so that done() can read them with thread:get().
statuses = {}		-- status -> count (this thread's)
created = {}		-- ids answered 201
local open = {}		-- { {id=, uid=} } not yet cancelled

local function read_ids(path)
	local t = {}
	for line in io.lines(path) do
		local n = tonumber(line)
		if n ~= nil then
			t[#t + 1] = n
		end
	end
	if #t == 0 then
		error("no ids in " .. path)
	end
	return t
end

function init(args)
	for line in io.lines(args[1]) do
		local uid, token = line:match("^(%d+) (%S+)$")
		if uid ~= nil then
			local auth = "Bearer " .. token
			local u = {
				id = tonumber(uid),
				headers = { ["Authorization"] = auth },
				json = { ["Authorization"] = auth,
				    ["Content-Type"] = "application/json" },
			}
			users[#users + 1] = u
			by_uid[u.id] = u
		end
	end
	if #users == 0 then
		error("no users in " .. args[1])
	end
	products = read_ids(args[2])
	items = read_ids(args[3])
	math.randomseed(os.time() * 1000 + (index or 0) * 7919)
end

-- wrk looks for delay() once, at start: defined only with a pause.
local pause_ms = tonumber(os.getenv("SOAK_PAUSE_MS") or "")
if pause_ms ~= nil and pause_ms > 0 then
	function delay()
		return pause_ms
	end
end

local function get(u, path)
	return wrk.format("GET", path, u.headers)
end

local function order_body()
	local n = math.random(math.min(3, #products))
	local picked, parts = {}, {}
	while #parts < n do
		local p = products[math.random(#products)]
		if not picked[p] then
			picked[p] = true
			parts[#parts + 1] = string.format(
			    '{"product_id":%d,"quantity":%d}', p, math.random(3))
		end
	end
	return '{"shipping_address":"1 Soak Street, Testville",'
	    .. '"shipping_method":"standard","items":['
	    .. table.concat(parts, ",") .. "]}"
end

-- Once the file SOAK_QUIET exists (looked for every 16 requests) only
-- reads are sent: the driver makes it before stopping wrk, so that no
-- order is in flight, made but unanswered, when wrk stops.
local quiet_file = os.getenv("SOAK_QUIET")
local quiet = false
local sent = 0

local function quieted()
	sent = sent + 1
	if not quiet and quiet_file ~= nil and sent % 16 == 0 then
		local f = io.open(quiet_file)
		if f ~= nil then
			f:close()
			quiet = true
		end
	end
	return quiet
end

function request()
	local u = users[math.random(#users)]
	local r = math.random(100)
	if quieted() then
		r = 1
	end
	if r > 95 and #open > 0 then
		-- Cancel one of our 20 newest, with its owner's token. (Picked
		-- among all, the few oldest would nearly all be cancelled
		-- early, before a worker's turn; people cancel soon after
		-- ordering anyway.)
		local k = #open - math.random(math.min(#open, 20)) + 1
		local o = open[k]
		open[k] = open[#open]
		open[#open] = nil
		return wrk.format("DELETE", "/api/v1/orders/" .. o.id,
		    by_uid[o.uid].headers)
	elseif r > 80 and r <= 95 then
		return wrk.format("POST", "/api/v1/orders", u.json, order_body())
	end
	r = math.random(80)
	if r <= 25 then
		return get(u, "/api/v1/inventory/" .. items[math.random(#items)])
	elseif r <= 40 then
		return get(u, "/api/v1/inventory/product/"
		    .. products[math.random(#products)])
	elseif r <= 50 then
		return get(u, "/api/v1/inventory?limit=20&skip="
		    .. 20 * math.random(0, 9))
	elseif r <= 60 then
		return get(u, "/api/v1/products?limit=20&skip="
		    .. 20 * math.random(0, 9))
	elseif r <= 70 then
		return get(u, "/api/v1/products/"
		    .. products[math.random(#products)])
	end
	return get(u, "/api/v1/orders?limit=10")
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
	if status == 201 then
		-- An order: its id comes first, its owner later in the body.
		local id = tonumber(body:match('^{"id":(%d+)'))
		local uid = tonumber(body:match('"user_id":(%d+)'))
		if id ~= nil then
			created[#created + 1] = id
			if uid ~= nil and by_uid[uid] ~= nil then
				open[#open + 1] = { id = id, uid = uid }
			end
		end
	end
end

-- The threads' tables, copied into this (the main) state by thread:get.
function done(summary, latency, requests)
	local total = {}
	local out = assert(io.open(os.getenv("SOAK_CREATED") or "/dev/null",
	    "w"))
	for _, t in ipairs(threads) do
		for s, n in pairs(t:get("statuses")) do
			total[s] = (total[s] or 0) + n
		end
		for _, id in ipairs(t:get("created")) do
			out:write(id, "\n")
		end
	end
	out:close()
	local codes = {}
	for s, n in pairs(total) do
		codes[#codes + 1] = string.format("s%d=%d", s, n)
	end
	table.sort(codes)
	io.write(string.format(
	    "SOAK requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d %s\n",
	    summary.requests, summary.duration,
	    latency:percentile(50), latency:percentile(99),
	    summary.errors.connect + summary.errors.read +
	    summary.errors.write + summary.errors.timeout,
	    table.concat(codes, " ")))
end
