"""A small JSON API: a to-do list to create, read, update and delete.

Serve it with `uvicorn examples.todo_api:app`, then:

    curl -i -H 'content-type: application/json' -d '{"title": "Write docs"}' \
        localhost:8000/todos
    curl localhost:8000/todos
    curl -X PATCH -H 'content-type: application/json' -d '{"done": true}' \
        localhost:8000/todos/1
    curl -i -X DELETE localhost:8000/todos/1

Every error, ours or the framework's, is answered as JSON: `{"error": ...}`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from microasgi import App, HTTPException, JSONResponse, Request, Router

# --8<-- [start:model]
MAX_TITLE_LENGTH = 200


@dataclass
class Todo:
    id: int
    title: str
    done: bool = False


class TodoStore:
    """The to-dos of one process, in memory (a database in real life)."""

    def __init__(self) -> None:
        self.todos: dict[int, Todo] = {}
        self.last_id = 0

    def add(self, title: str, done: bool) -> Todo:
        self.last_id += 1
        todo = Todo(self.last_id, title, done)
        self.todos[todo.id] = todo
        return todo

    def get(self, todo_id: int) -> Todo:
        if todo_id not in self.todos:
            raise HTTPException(404, detail=f"No to-do with id {todo_id}")
        return self.todos[todo_id]

    def remove(self, todo_id: int) -> None:
        del self.todos[self.get(todo_id).id]


# --8<-- [end:model]


# --8<-- [start:validation]
class ValidationError(Exception):
    """The body was JSON, but not the JSON we want: one message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


async def read_fields(request: Request, *, partial: bool) -> dict[str, Any]:
    """The checked fields of a to-do from the JSON body.

    With ``partial`` (for PATCH) every field is optional.
    """
    data = await request.json()  # 400 for malformed JSON, from microasgi
    if not isinstance(data, dict):
        raise ValidationError({"body": "must be a JSON object"})
    errors = {name: "unknown field" for name in data if name not in ("title", "done")}
    title = data.get("title")
    if "title" in data or not partial:
        if not isinstance(title, str) or not title.strip():
            errors["title"] = "must be a non-empty string"
        elif len(title) > MAX_TITLE_LENGTH:
            errors["title"] = f"must be at most {MAX_TITLE_LENGTH} characters"
    if "done" in data and not isinstance(data["done"], bool):
        errors["done"] = "must be true or false"
    if errors:
        raise ValidationError(errors)
    return data


# --8<-- [end:validation]


# --8<-- [start:handlers]
routes = Router()


@routes.get("/todos")
async def list_todos(request: Request) -> list[dict[str, Any]]:
    todos = list(request.app.state.todos.todos.values())
    done = request.query_params.get("done")
    if done is not None:
        if done not in ("true", "false"):
            raise HTTPException(400, detail="done must be 'true' or 'false'")
        todos = [todo for todo in todos if todo.done == (done == "true")]
    return [asdict(todo) for todo in todos]


@routes.post("/todos")
async def create_todo(request: Request) -> JSONResponse:
    fields = await read_fields(request, partial=False)
    todo = request.app.state.todos.add(fields["title"], fields.get("done", False))
    location = request.app.url_path_for("read_todo", todo_id=todo.id)
    return JSONResponse(asdict(todo), status_code=201, headers={"location": location})


@routes.get("/todos/{todo_id:int}")
async def read_todo(request: Request, todo_id: int) -> dict[str, Any]:
    return asdict(request.app.state.todos.get(todo_id))


@routes.patch("/todos/{todo_id:int}")
async def update_todo(request: Request, todo_id: int) -> dict[str, Any]:
    todo = request.app.state.todos.get(todo_id)  # 404 before reading the body
    fields = await read_fields(request, partial=True)
    todo.title = fields.get("title", todo.title)
    todo.done = fields.get("done", todo.done)
    return asdict(todo)


@routes.delete("/todos/{todo_id:int}")
async def delete_todo(request: Request, todo_id: int) -> None:
    request.app.state.todos.remove(todo_id)  # returning None sends 204


# --8<-- [end:handlers]


# --8<-- [start:app]
async def validation_failed(request: Request, exc: ValidationError) -> JSONResponse:
    return JSONResponse({"error": "invalid to-do", "fields": exc.errors}, 400)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    # The router's own 404s and 405s come here too, so every error is JSON.
    return JSONResponse({"error": exc.detail}, exc.status_code, exc.headers)


def create_app() -> App:
    """A new app with an empty store, so each test can have its own."""
    app = App()
    app.state.todos = TodoStore()
    app.include_router(routes)
    app.add_exception_handler(ValidationError, validation_failed)
    app.add_exception_handler(HTTPException, http_error)
    return app


app = create_app()
# --8<-- [end:app]

if __name__ == "__main__":
    app.run()
