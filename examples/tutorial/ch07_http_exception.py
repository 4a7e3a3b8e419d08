"""Chapter 7: errors in microasgi: HTTPException and exception handlers.

Serve it with `uvicorn examples.tutorial.ch07_http_exception:app`, then try
`curl -i localhost:8000/stock/apple` and `curl -i localhost:8000/stock/kiwi`.
"""

from microasgi import App, HTTPException, JSONResponse

STOCK = {"apple": 3, "pear": 0}


class OutOfStockError(Exception):
    def __init__(self, item):
        self.item = item


app = App()


@app.exception_handler(OutOfStockError)
async def out_of_stock(request, exc):
    return JSONResponse({"error": f"{exc.item} is out of stock"}, status_code=409)


@app.exception_handler(404)
async def not_found(request, exc):
    return JSONResponse({"error": exc.detail}, status_code=404)


@app.get("/stock/{item}")
async def stock(request, item: str):
    if item not in STOCK:
        raise HTTPException(404, detail=f"We do not sell {item}")
    if STOCK[item] == 0:
        raise OutOfStockError(item)
    return {"item": item, "count": STOCK[item]}
