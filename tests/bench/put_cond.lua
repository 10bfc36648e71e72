-- put_cond.lua - the handler's own write: PutItem with
-- ConditionExpression attribute_not_exists(id) on a fresh key, so every
-- condition holds and every answer must be 200.
-- args: table=NAME tag=UNIQUE
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.PutItem", "1.0")

function request()
   local body = '{"TableName":"' .. c.arg("table", "bench_faces") .. '","Item":' ..
      c.face_item(c.unique("cond")) .. ',"ConditionExpression":"attribute_not_exists(id)"}'
   return wrk.format(nil, nil, nil, body)
end

response = c.response
