-- wrk script: every request adds a parameter no other request has (unique=THREAD-N), so that
-- no answer kept by the service is reused: each one is composed afresh.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

local sent = 0

function request()
  sent = sent + 1
  local glue = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. glue .. "unique=" .. thread_id .. "-" .. sent)
end
