"""A project of your own: a small items API, written the microasgi way.

Serve it with `uvicorn examples.project.items_api:app`; in a project where
this file sits at the top, `microasgi run items_api:app --reload`.
"""

from microasgi import App, HTTPException

app = App()
app.state.items = {1: {"id": 1, "name": "kettle"}}


# --8<-- [start:handlers]
@app.get("/items/{item_id:int}")
async def read_item(request, item_id: int):  # the request first, then path params
    item = request.app.state.items.get(item_id)
    if item is None:
        raise HTTPException(404, f"No item {item_id}")
    return item


@app.get("/search")
async def search(request):  # query parameters come from the request
    words = request.query_params.get("q", "").split()
    items = request.app.state.items.values()
    return [item for item in items if any(word in item["name"] for word in words)]


@app.post("/items")
async def create_item(request):
    data = await request.json()  # await: reading the body is I/O
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise HTTPException(422, 'Send {"name": "..."}')
    items = request.app.state.items
    item = {"id": max(items, default=0) + 1, "name": data["name"]}
    items[item["id"]] = item
    return item


# --8<-- [end:handlers]
