-- wrk script: POSTs pre-signed webhook bodies in turn. Computes nothing per request: the
-- bodies and their signature headers were written by `provider-sim write` into BODIES
-- (manifest.tsv: file, path, header name, header value, expected status, items).
--   wrk -s post.lua ... URL -- BODIES
local requests = {}
local n = 0

function init(args)
  local dir = args[1]
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
