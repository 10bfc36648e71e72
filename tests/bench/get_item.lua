-- get_item.lua - GetItem of a random preloaded key ("get-%06d", 0 <= n < keys).
-- An answer without "Item" means the key was not found: an error.
-- args: table=NAME keys=N
package.path = "./?.lua;" .. package.path
local c = require("common")
c.use("DynamoDB_20120810.GetItem", "1.0")

local tbl, keys
c.on_init = function()
   tbl = c.arg("table", "bench_faces")
   keys = tonumber(c.arg("keys", "10000"))
end

function request()
   local body = string.format('{"TableName":"%s","Key":{"id":{"S":"get-%06d"}}}',
                              tbl, math.random(0, keys - 1))
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status ~= 200 then return c.fail(status, body) end
   if not body:find('"Item"', 1, true) then return c.fail("no-item", body) end
   c.ok(1)
end
