-- wrk: POSTs signed Stripe events to /webhooks/stripe, one per request, from a file of
-- `<Stripe-Signature>\t<body>` lines (written by end2end/measure/bench-setup.mjs). Thread N of T
-- sends lines N, N+T, N+2T, …, so no two threads send the same line; the file's duplicate events
-- are the only duplicates. Arguments: -- FILE THREADS
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local path, count = args[1], tonumber(args[2])
  requests_to_send = {}
  local n = 0
  for line in io.lines(path) do
    if n % count == id - 1 then
      local tab = line:find("\t", 1, true)
      requests_to_send[#requests_to_send + 1] = wrk.format("POST", "/webhooks/stripe", {
        ["Content-Type"] = "application/json",
        ["Stripe-Signature"] = line:sub(1, tab - 1),
      }, line:sub(tab + 1))
    end
    n = n + 1
  end
  next_request = 0
end

function request()
  next_request = next_request % #requests_to_send + 1
  return requests_to_send[next_request]
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
