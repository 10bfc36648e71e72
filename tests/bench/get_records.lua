-- get_records.lua - GetRecords (Limit=limit), each in-flight request carrying
-- on its own chain of NextShardIterator, as a consumer per connection does.
--
-- wrk's Lua cannot tell connections apart, but with no pipelining every
-- connection has exactly one request in flight, so a per-thread pool of
-- iterators works: request() takes one, response() returns the next one.
-- A chain that reaches the end of its shard (no records) restarts from one
-- of the TRIM_HORIZON iterators bench.py fetched into the file `iters`
-- (one line each; thread k takes lines k, k+threads, ...), so nearly every
-- page carries records: a page shorter than Limit ends the chain.  An empty pool (wrk calls request() once more than it
-- sends) also falls back to a start iterator.  Records are counted from the
-- answer.
-- args: iters=FILE threads=N limit=100
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("Kinesis_20131202.GetRecords", "1.1")

local starts, pool, limit, next_start = {}, {}, 100, 1

c.on_init = function()
   limit = tonumber(c.arg("limit", "100"))
   local nthreads = tonumber(c.arg("threads", "1"))
   local f = io.open(c.arg("iters", "iters.txt"), "r")
   if f == nil then return end
   local i = 0
   for line in f:lines() do
      if line ~= "" and i % nthreads == (tid or 1) - 1 then table.insert(starts, line) end
      i = i + 1
   end
   f:close()
   for _, it in ipairs(starts) do table.insert(pool, it) end
end

local function a_start()
   local it = starts[next_start]
   next_start = next_start % math.max(#starts, 1) + 1
   return it or "none"
end

function request()
   local it = table.remove(pool) or a_start()
   return wrk.format(nil, nil, nil,
                     '{"ShardIterator":"' .. it .. '","Limit":' .. limit .. '}')
end

function response(status, headers, body)
   if status ~= 200 then
      table.insert(pool, a_start())
      return c.fail(status, body)
   end
   local n, pos = 0, 1
   while true do
      pos = body:find('"SequenceNumber"', pos, true)
      if pos == nil then break end
      n, pos = n + 1, pos + 16
   end
   local nxt = c.field(body, "NextShardIterator")
   -- a short page is the end of the shard: start the chain over
   if n < limit or nxt == nil then nxt = a_start() end
   table.insert(pool, nxt)
   c.ok(n)
end
