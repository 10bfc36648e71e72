-- put_item.lua - PutItem of a ~300-byte face item under a key never used before.
-- args: table=NAME tag=UNIQUE
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.PutItem", "1.0")

function request()
   local body = '{"TableName":"' .. c.arg("table", "bench_faces") .. '","Item":' ..
      c.face_item(c.unique("put")) .. '}'
   return wrk.format(nil, nil, nil, body)
end

response = c.response
