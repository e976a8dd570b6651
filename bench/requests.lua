-- wrk script for bench/wizard.py: sends requests read from a file and prints one JSON line.
--
--   wrk -t THREADS ... -s bench/requests.lua URL -- METHOD PATH FILE THREADS
--
-- Each line of FILE is "cookie<TAB>form body" (the body is empty for a GET). wrk's
-- threads take every n-th line, so no line (a single-use captcha) is sent twice while
-- the file lasts; after that a thread starts again at its first line.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local method, path, file = args[1], args[2], args[3]
  local threads_total = tonumber(args[4] or "1")
  local count = 0
  for _ in io.lines(file) do
    count = count + 1
  end
  prepared = {}
  local index = 0
  for line in io.lines(file) do
    if index % threads_total == thread_index then
      local cookie, body = line:match("^([^\t]*)\t(.*)$")
      local headers = {}
      if cookie ~= "" then
        headers["Cookie"] = cookie
      end
      if body ~= "" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      else
        body = nil
      end
      table.insert(prepared, wrk.format(method, path, headers, body))
    end
    index = index + 1
  end
  if #prepared == 0 then
    error("no request for thread " .. thread_index .. " in " .. file .. " (" .. count .. " lines)")
  end
  sent = 0
  statuses = {}
end

function request()
  sent = sent + 1
  return prepared[(sent - 1) % #prepared + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  local sent_total = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
    sent_total = sent_total + thread:get("sent")
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "sent": %d, "statuses": {%s}, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
      '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, sent_total, table.concat(parts, ", "),
    errors.connect, errors.read, errors.write, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max
  ))
end
