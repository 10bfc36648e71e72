-- scan.lua - one Scan page (Limit=limit) starting after a random preloaded
-- item, as a client paging through the table does; counts the items returned.
-- args: table=NAME parts=N per=20 limit=25
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.Scan", "1.0")

local tbl, parts, per, limit
c.on_init = function()
   tbl = c.arg("table", "bench_sightings")
   parts = tonumber(c.arg("parts", "200"))
   per = tonumber(c.arg("per", "20"))
   limit = tonumber(c.arg("limit", "25"))
end

function request()
   local body = string.format('{"TableName":"%s","Limit":%d,"ExclusiveStartKey":' ..
                              '{"pk":{"S":"q-%04d"},"sk":{"S":"s-%04d"}}}',
                              tbl, limit, math.random(0, parts - 1), math.random(0, per - 1))
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then return c.fail(status, body) end
   local n = tonumber(c.field(body, "Count"))
   if n == nil then return c.fail("no-count", body) end
   c.ok(n)
end
