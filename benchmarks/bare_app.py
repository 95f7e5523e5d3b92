"""The reference: a bare FastAPI JSON route, served the same way as the API."""
from fastapi import FastAPI

app = FastAPI()


@app.get("/json")
async def json_route():
    return {"ok": True}
