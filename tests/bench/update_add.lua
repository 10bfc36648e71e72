-- update_add.lua - UpdateItem "ADD SightingCount :one" on one of `keys`
-- counters ("ctr-%05d"), created by the first ADD, as the summary mode does.
-- args: table=NAME keys=N
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.UpdateItem", "1.0")

local tbl, keys
c.on_init = function()
   tbl = c.arg("table", "bench_faces")
   keys = tonumber(c.arg("keys", "1000"))
end

function request()
   local body = string.format('{"TableName":"%s","Key":{"id":{"S":"ctr-%05d"}},' ..
                              '"UpdateExpression":"ADD SightingCount :one",' ..
                              '"ExpressionAttributeValues":{":one":{"N":"1"}}}',
                              tbl, math.random(0, keys - 1))
   return wrk.format(nil, nil, nil, body)
end

response = c.response
