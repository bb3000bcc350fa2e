-- Requests from a file written by bench/harness.py, one per line:
--   METHOD \t PATH \t HEADERS (name: value, separated by \x1f) \t BODY
-- wrk ... -s requests.lua URL -- FILE random|cycle|once [THREADS]
-- random: every request picks a line at random; cycle: each wrk thread walks the lines in order from a
-- random start (flows written as consecutive lines, e.g. add to cart then view it); once: every line
-- is sent at most once (thread k of THREADS takes lines k, k + THREADS, ...: a checkout per buyer's
-- token), and a thread that has sent all of its lines stops and counts as exhausted (the figures of
-- such a run are not valid: the harness refuses them).
-- done() prints one RESULT line that bench/harness.py parses (non-2xx excludes 3xx: a form's redirect
-- after a successful POST counts as success, as in ../shared/peers/oscar/lua/common.lua).
local threads = {}
local reqs = {}
local order = "random"
local pos = 0
local step = 1
bad = 0
exhausted = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  order = args[2] or "random"
  for line in io.lines(args[1]) do
    if line ~= "" then
      local method, path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local h = {}
      for pair in string.gmatch(headers, "[^\31]+") do
        local k, v = pair:match("^([^:]+):%s*(.*)$")
        if k then h[k] = v end
      end
      if body == "" then body = nil end
      table.insert(reqs, wrk.format(method, path, h, body))
    end
  end
  assert(#reqs > 0, "no requests in " .. args[1])
  pos = math.random(#reqs) - 1
  if order == "once" then
    step = tonumber(args[3] or "1")
    pos = (tid or 1) - step
  end
end

function request()
  if order == "once" then
    pos = pos + step
    if pos > #reqs then
      exhausted = 1
      wrk.thread:stop()
      return reqs[#reqs]
    end
    return reqs[pos]
  end
  if order == "cycle" then
    pos = pos % #reqs + 1
    return reqs[pos]
  end
  return reqs[math.random(#reqs)]
end

function response(status, headers, body)
  if status < 200 or status > 399 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local nb, ne = 0, 0
  for _, t in ipairs(threads) do
    nb = nb + (t:get("bad") or 0)
    ne = ne + (t:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
      .. "connect=%d read=%d write=%d timeout=%d exhausted=%d\n",
    summary.requests, summary.duration, nb,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, ne))
end
