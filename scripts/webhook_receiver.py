"""A minimal Standard Webhooks receiver for trying returns-api's webhooks on one machine.

    .venv/bin/python scripts/webhook_receiver.py --port 9000 --secret whsec_…

Listens on 127.0.0.1, verifies each delivery's signature and timestamp with the endpoint's
secret, answers 204 (or 400 when verification fails) and prints one line per event:
`verified return.created 0193…` then the event's JSON. The service must be started with
RETURNS_WEBHOOKS_ALLOW_PRIVATE_URLS=true to deliver to a loopback http:// URL. This is for
trying things out; a real receiver stores the event id to drop duplicates (delivery is at
least once) and does its work after answering.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_… secret")
    args = parser.parse_args()
    webhook = Webhook(args.secret)

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                event = webhook.verify(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                print(f"refused: {exc}", flush=True)
                self.send_response(400)
            else:
                print(f"verified {event['type']} {event['id']}", flush=True)
                print(json.dumps(event, indent=2), flush=True)
                self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *values: object) -> None:
            pass  # one line per event is enough

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Receiver)
    print(f"listening on http://127.0.0.1:{args.port}/hooks", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
