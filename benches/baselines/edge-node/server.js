// The edge router as the usual tutorials write it: Node.js stdlib only (node >= 18 for fetch).
// Parse the JSON, take the country prefix of messages[0].from (or the first status's
// recipient, or WASender's first sender), pick the region's URL, forward the body with
// fetch, answer what the region answered. No signature check, no other party looked at: the
// baseline our edge is measured beside (benches/load/run.sh), not a model to copy.
//
//   PORT=8081 UPSTREAM_EU=http://127.0.0.1:9000/ingest ... node server.js
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 8081);
const upstream = {
  EU: process.env.UPSTREAM_EU,
  LATAM: process.env.UPSTREAM_LATAM,
  INDIA: process.env.UPSTREAM_INDIA,
  US: process.env.UPSTREAM_US,
};

// A prefix table, as tutorials have it: a handful of calling codes, the rest to US.
const PREFIXES = [
  ['49', 'EU'], ['33', 'EU'], ['34', 'EU'], ['39', 'EU'], ['31', 'EU'], ['32', 'EU'],
  ['48', 'EU'], ['46', 'EU'], ['353', 'EU'], ['351', 'EU'], ['43', 'EU'], ['44', 'EU'],
  ['41', 'EU'], ['47', 'EU'],
  ['55', 'LATAM'], ['52', 'LATAM'], ['54', 'LATAM'], ['57', 'LATAM'], ['56', 'LATAM'],
  ['51', 'LATAM'],
  ['91', 'INDIA'],
];

function regionOf(phone) {
  if (typeof phone !== 'string') return 'US';
  for (const [prefix, region] of PREFIXES) {
    if (phone.startsWith(prefix)) return region;
  }
  return 'US';
}

function firstParty(payload) {
  const value = payload?.entry?.[0]?.changes?.[0]?.value;
  if (value?.messages?.[0]) return value.messages[0].from;
  if (value?.statuses?.[0]) return value.statuses[0].recipient_id;
  const data = payload?.data;
  const msg = Array.isArray(data) ? data[0] : (data?.messages?.[0] ?? data?.messages ?? data);
  const jid = msg?.key?.cleanedSenderPn ?? msg?.key?.remoteJid;
  return typeof jid === 'string' ? jid.split('@')[0] : undefined;
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.end('ok');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    let payload;
    try {
      payload = JSON.parse(body);
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    const target = upstream[regionOf(firstParty(payload))] || upstream.US;
    try {
      const r = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await r.arrayBuffer();
      res.statusCode = r.ok ? 200 : 503;
    } catch {
      res.statusCode = 503;
    }
    res.end();
  });
});

server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1');
