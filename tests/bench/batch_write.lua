-- batch_write.lua - BatchWriteItem of `n` (25) face items with fresh keys.
-- Anything left in UnprocessedItems makes the request an error.
-- args: table=NAME tag=UNIQUE n=25
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.BatchWriteItem", "1.0")

local tbl, n
c.on_init = function()
   tbl = c.arg("table", "bench_faces")
   n = tonumber(c.arg("n", "25"))
end

function request()
   local puts = {}
   for i = 1, n do
      puts[i] = '{"PutRequest":{"Item":' .. c.face_item(c.unique("batch")) .. '}}'
   end
   local body = '{"RequestItems":{"' .. tbl .. '":[' .. table.concat(puts, ",") .. ']}}'
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then return c.fail(status, body) end
   if not body:find('"UnprocessedItems"%s*:%s*{%s*}') then return c.fail("unprocessed", body) end
   c.ok(n)
end
