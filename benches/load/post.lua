-- wrk script: POSTs pre-signed webhook bodies in turn. Computes nothing per request: the
-- bodies and their signature headers were written by `provider-sim write` into BODIES
-- (manifest.tsv: file, path, header name, header value, expected status, items).
--   wrk -s post.lua ... URL -- BODIES [DELAY_MS]
-- With DELAY_MS, each connection waits that long before each request (a fixed rate of about
-- connections * 1000 / DELAY_MS requests/s, for latency below the peak).
local requests = {}
local n = 0
local pause = nil

function init(args)
  local dir = args[1]
  if args[2] then
    pause = tonumber(args[2])
    -- Defined only when asked for: wrk looks for it after init, and a delay of 0 would
    -- still cost a timer per request at the peak.
    function delay()
      return pause
    end
  end
  for line in io.lines(dir .. "/manifest.tsv") do
    local file, path, hname, hvalue = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]*)\t")
    local f = assert(io.open(dir .. "/" .. file, "rb"))
    local body = f:read("*a")
    f:close()
    local headers = { ["Content-Type"] = "application/json" }
    headers[hname] = hvalue
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function done(summary, latency, requests)
  io.stderr:write(string.format("non-200 answers: %d\n", summary.errors.status))
end
