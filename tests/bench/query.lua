-- query.lua - Query of one random preloaded partition ("q-%04d") holding
-- exactly `per` items; an answer with another Count is an error.
-- args: table=NAME parts=N per=20
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.Query", "1.0")

local tbl, parts, per
c.on_init = function()
   tbl = c.arg("table", "bench_sightings")
   parts = tonumber(c.arg("parts", "200"))
   per = tonumber(c.arg("per", "20"))
end

function request()
   local body = string.format('{"TableName":"%s","KeyConditionExpression":"pk = :p",' ..
                              '"ExpressionAttributeValues":{":p":{"S":"q-%04d"}}}',
                              tbl, math.random(0, parts - 1))
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then return c.fail(status, body) end
   local n = tonumber(c.field(body, "Count"))
   if n ~= per then return c.fail("count=" .. tostring(n), body) end
   c.ok(n)
end
