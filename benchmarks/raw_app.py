"""A raw ASGI app that answers every request at once: a target the generator cannot saturate (~27k req/s)."""

BODY = b'{"request_id": "bench", "probability": 0.5, "prediction": 0, "model_version": "bench"}'


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
