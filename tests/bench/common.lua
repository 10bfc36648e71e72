-- common.lua - what every wrk scenario script shares.
--
-- Owns: the AWS JSON request headers (X-Amz-Target, Content-Type, X-Amz-Date
-- and a SigV4-shaped Authorization that nobody verifies), the per-thread
-- counters, the face item used by the DynamoDB write scenarios, and the one
-- result line that bench.py parses.
--
-- Entry points, for a scenario script:
--   local c = require("common")
--   c.use(target, json_version)   set method, path and headers
--   c.ok(n) / c.fail(status, body) count a response as n items / an error
--   c.face_item(id)               JSON of a ~300-byte face item
--   setup, init, done             wrk callbacks; the script may wrap init
--
-- wrk gives every thread its own Lua state: counters live in globals of that
-- state (errors, items, first_error) because done() reads them back through
-- thread:get(), which only sees globals.
--
-- Arguments after "--" on wrk's command line are key=value pairs; c.arg(k)
-- returns one.  bench.py always passes tag=<unique per run> so that write
-- scenarios never reuse a key across runs.

local M = {}

local threads = {}   -- main state only: every thread, for done()
local next_tid = 1   -- main state only

M.args = {}

-- Globals read back by done() through thread:get().
errors = 0
items = 0
first_error = nil

-- Method, path and headers of a request to service `target`
-- ("DynamoDB_20120810.PutItem", "Kinesis_20131202.PutRecords").
function M.use(target, json_version)
   local service = target:match("^Kinesis") and "kinesis" or "dynamodb"
   wrk.method = "POST"
   wrk.path = "/"
   wrk.headers["Content-Type"] = "application/x-amz-json-" .. json_version
   wrk.headers["X-Amz-Target"] = target
   wrk.headers["X-Amz-Date"] = "20240101T000000Z"
   wrk.headers["Authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIDBENCHEXAMPLE/20240101/us-east-1/" .. service ..
      "/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
end

function M.arg(key, default)
   local v = M.args[key]
   if v == nil then return default end
   return v
end

function M.ok(n)
   items = items + (n or 1)
end

-- Count one failed response; keep the first one for the report.
function M.fail(status, body)
   errors = errors + 1
   if first_error == nil then
      first_error = tostring(status) .. " " .. tostring(body or ""):sub(1, 300)
   end
end

-- The default response check: any status but 200 is an error.
function M.response(status, headers, body)
   if status == 200 then M.ok(1) else M.fail(status, body) end
end

-- A face-search sighting as the handler writes it, about 300 bytes of JSON.
local FACE_FMT = '{"id":{"S":"%s"},"ItemType":{"S":"sighting"},' ..
   '"FaceId":{"S":"%08x-9e57-4f7a-a0ee-89aed453dd32"},' ..
   '"ImageId":{"S":"%08x-b1c4-4d2a-9f31-5a7c0e6b2d48"},' ..
   '"ExternalImageId":{"S":"person#alice.jpg"},"Similarity":{"N":"99.%04d"},' ..
   '"Confidence":{"N":"99.9876"},"FrameTimestamp":{"N":"%d"},' ..
   '"SequenceNumber":{"S":"49590338271490256608559692538361571095921575989136588898"},' ..
   '"ShardId":{"S":"shardId-000000000000"}}'

function M.face_item(id)
   local r = math.random(0, 0x7fffffff)
   return string.format(FACE_FMT, id, r, r + 1, r % 10000, 1700000000000 + r % 100000)
end

-- The raw value text of top-level member `name` (a number, or the
-- contents of a string) in a JSON response, or nil.  A plain find, then a
-- match anchored there: an unanchored Lua pattern walks a 100 KB answer
-- character by character, and would charge the server whose answer puts
-- the member last (emu splices Items/Records first) with wrk's own CPU.
function M.field(body, name)
   local pos = body:find('"' .. name .. '"', 1, true)
   if pos == nil then return nil end
   return body:match('^"[^"]+"%s*:%s*"?([^",}]*)', pos)
end

-- A key nobody used before: tag is unique per run, tid per thread.
local seq = 0
function M.unique(prefix)
   seq = seq + 1
   return string.format("%s-%s-%d-%d", prefix, M.arg("tag", "t"), tid or 0, seq)
end

-- wrk callbacks -------------------------------------------------------------

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

function init(args)
   for _, a in ipairs(args) do
      local k, v = a:match("^([^=]+)=(.*)$")
      if k then M.args[k] = v end
   end
   math.randomseed(os.time() * 131 + (tid or 0) * 7919)
   if M.on_init then M.on_init() end
end

local function json_string(s)
   if s == nil then return "null" end
   return '"' .. s:gsub('[%c"\\\128-\255]', function(ch)
      return string.format("\\u%04x", ch:byte())
   end) .. '"'
end

-- One line for bench.py: what wrk measured plus our own counters.
function done(summary, latency, requests)
   local errs, n_items, first = 0, 0, nil
   for _, t in ipairs(threads) do
      errs = errs + (t:get("errors") or 0)
      n_items = n_items + (t:get("items") or 0)
      first = first or t:get("first_error")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"bad":%d,"items":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"first_error":%s}\n',
      summary.requests, summary.duration, summary.bytes, errs, n_items,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, json_string(first)))
end

return M
