"""Chapter 5: the same three routes, written with microasgi.

Serve it with `uvicorn examples.tutorial.ch05_microasgi:app`.
"""

from microasgi import App

app = App()


@app.get("/")
async def home(request):
    return "Home\n"


@app.get("/users/{user_id:int}")
async def show_user(request, user_id):
    return {"id": user_id}


@app.post("/echo")
async def echo(request):
    return await request.json()
