-- scale.lua - the table-size scenarios of scale.py on table scale_items
-- (HASH pk, RANGE sk).  Item i is pk "p-%08d" (i // 20), sk "s-%02d" (i % 20),
-- a ~300-byte face item; so every partition holds 20 items.
--   mode=load from=A to=B  BatchWriteItem items [A, B) in batches of 25, thread
--                          k taking batches k, k+threads, ...; once all of a
--                          thread's batches are sent it sends DescribeTable
--                          until they are acknowledged, then stops itself
--                          and leaves the file <marks>/loaded-<tid>
--   mode=get  n=N          GetItem of a random existing item (missing = error)
--   mode=query n=N         Query of a random partition (Count ~= 20 = error)
--   mode=put  tag=T        PutItem of a new partition
-- args: threads=T plus the above
package.path = "./?.lua;" .. package.path
local c = require("common")

local TABLE = "scale_items"
local mode, n, from, to, nthreads
local next_batch, acked, mine, stopped = 0, 0, 0, false

local function item(i)
   local it = c.face_item(string.format("scale-%d", i))
   return it:gsub('^{', string.format('{"pk":{"S":"p-%08d"},"sk":{"S":"s-%02d"},',
                                      math.floor(i / 20), i % 20), 1)
end

c.on_init = function()
   mode = c.arg("mode", "get")
   n = tonumber(c.arg("n", "0"))
   from, to = tonumber(c.arg("from", "0")), tonumber(c.arg("to", "0"))
   nthreads = tonumber(c.arg("threads", "1"))
   local target = ({load = "BatchWriteItem", get = "GetItem", query = "Query",
                    put = "PutItem"})[mode]
   c.use("DynamoDB_20120810." .. target, "1.0")
   local batches = math.ceil((to - from) / 25)
   -- batches tid-1, tid-1+nthreads, ... below `batches`
   if batches >= tid then mine = math.floor((batches - tid) / nthreads) + 1 end
end

-- Body of this thread's next batch, or nil when all are sent.
local function load_body()
   local b = next_batch
   if b >= mine then return nil end
   next_batch = next_batch + 1
   local first = from + ((b * nthreads) + tid - 1) * 25
   local puts = {}
   for i = first, math.min(first + 24, to - 1) do
      puts[#puts + 1] = '{"PutRequest":{"Item":' .. item(i) .. '}}'
   end
   return '{"RequestItems":{"' .. TABLE .. '":[' .. table.concat(puts, ",") .. ']}}'
end

local verify_call = true

function request()
   local body
   if mode == "load" then
      -- wrk calls request() once on the first thread's state before it starts,
      -- to check for pipelining, and never sends that request: it must not
      -- take a batch
      if tid == 1 and verify_call then verify_call = false else body = load_body() end
      if body == nil then
         -- all sent: wait for the last answers with a cheap read that
         -- response() tells apart from a batch's answer
         local h = {}   -- wrk.format replaces the headers, it does not merge them
         for k, v in pairs(wrk.headers) do h[k] = v end
         h["X-Amz-Target"] = "DynamoDB_20120810.DescribeTable"
         return wrk.format(nil, nil, h, '{"TableName":"' .. TABLE .. '"}')
      end
   elseif mode == "get" then
      local i = math.random(0, n - 1)
      body = string.format('{"TableName":"%s","Key":{"pk":{"S":"p-%08d"},"sk":{"S":"s-%02d"}}}',
                           TABLE, math.floor(i / 20), i % 20)
   elseif mode == "query" then
      body = string.format('{"TableName":"%s","KeyConditionExpression":"pk = :p",' ..
                           '"ExpressionAttributeValues":{":p":{"S":"p-%08d"}}}',
                           TABLE, math.random(0, math.floor(n / 20) - 1))
   else
      body = '{"TableName":"' .. TABLE .. '","Item":' ..
         c.face_item("x"):gsub('^{', '{"pk":{"S":"' .. c.unique("new") ..
                               '"},"sk":{"S":"s-00"},', 1) .. '}'
   end
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then
      c.fail(status, body)
   elseif mode == "load" then
      if body:find('"UnprocessedItems"%s*:%s*{%s*}') then
         acked = acked + 1
         c.ok(25)
      elseif not body:find('"Table"', 1, true) then
         c.fail("unprocessed", body)
      end
   elseif mode == "get" and not body:find('"Item"', 1, true) then
      c.fail("no-item", body)
   elseif mode == "query" and tonumber(c.field(body, "Count")) ~= 20 then
      c.fail("count", body)
   else
      c.ok(1)
   end
   if mode == "load" and (acked >= mine or errors > 0) and not stopped then
      -- wrk's main thread sleeps the whole -d whatever the threads do: leave
      -- a mark so that scale.py can end wrk early (SIGINT) once all are done
      stopped = true
      local f = io.open(c.arg("marks", ".") .. "/loaded-" .. tid, "w")
      if f then f:close() end
      wrk.thread:stop()
   end
end
