-- wrk: GETs with the session cookie given as the argument plus a cookie that differs on every
-- request, so no answer can be a page the server kept for that exact Cookie header: every
-- signed-in page is rendered. Arguments: -- COOKIE (`name=value`)
local counter = 0

function init(args)
  session_cookie = args[1]
end

function request()
  counter = counter + 1
  return wrk.format("GET", nil, { ["Cookie"] = session_cookie .. "; bench_render=" .. counter })
end

dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
