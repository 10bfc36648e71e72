-- transact_write.lua - TransactWriteItems of `n` (4) Puts of face items with
-- fresh keys, each guarded by attribute_not_exists(id).
-- args: table=NAME tag=UNIQUE n=4
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.TransactWriteItems", "1.0")

local tbl, n
c.on_init = function()
   tbl = c.arg("table", "bench_faces")
   n = tonumber(c.arg("n", "4"))
end

function request()
   local ops = {}
   for i = 1, n do
      ops[i] = '{"Put":{"TableName":"' .. tbl .. '","Item":' .. c.face_item(c.unique("tx")) ..
         ',"ConditionExpression":"attribute_not_exists(id)"}}'
   end
   return wrk.format(nil, nil, nil, '{"TransactItems":[' .. table.concat(ops, ",") .. ']}')
end

function response(status, headers, body)
   if status ~= 200 then return c.fail(status, body) end
   c.ok(n)
end
