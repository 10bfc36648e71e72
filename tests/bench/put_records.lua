-- put_records.lua - PutRecords of `n` (100) records of 1 KB each (~140 KB of
-- JSON).  Bodies are built once per thread (`variants` of them, cycled) so
-- that wrk measures the server, not Lua string building.  A request with
-- FailedRecordCount > 0 is an error.
-- args: stream=NAME n=100 variants=8
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("Kinesis_20131202.PutRecords", "1.1")

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local bodies, n, next_body = {}, 100, 1

-- 1364 random base64 characters (1023 bytes) plus "QQ==" (one byte): 1 KB.
local function kb_of_base64()
   local t = {}
   for i = 1, 1364 do
      local k = math.random(1, 64)
      t[i] = B64:sub(k, k)
   end
   return table.concat(t) .. "QQ=="
end

c.on_init = function()
   local stream = c.arg("stream", "bench_put")
   n = tonumber(c.arg("n", "100"))
   for v = 1, tonumber(c.arg("variants", "8")) do
      local recs = {}
      for i = 1, n do
         recs[i] = string.format('{"Data":"%s","PartitionKey":"face-%d-%d-%d"}',
                                 kb_of_base64(), tid or 0, v, i)
      end
      bodies[v] = '{"StreamName":"' .. stream .. '","Records":[' .. table.concat(recs, ",") .. ']}'
   end
end

function request()
   local body = bodies[next_body]
   next_body = next_body % #bodies + 1
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then return c.fail(status, body) end
   local failed = tonumber(c.field(body, "FailedRecordCount"))
   if failed ~= 0 then return c.fail("failed=" .. tostring(failed), body) end
   c.ok(n)
end
