from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..database import database
from ..settings import MAX_PAGE_SIZE
from ..tables import vehicles

SORT_COLUMNS = {"plate": vehicles.c.plate, "odometer": vehicles.c.odometer_km, "model": vehicles.c.model}


def _int_param(request: Request, name: str, default: int) -> int:
    try:
        return int(request.query_params.get(name, default))
    except ValueError:
        raise HTTPException(400, f"{name} must be an integer")


async def list_vehicles(request: Request):
    limit = min(_int_param(request, "limit", 25), MAX_PAGE_SIZE)
    offset = max(_int_param(request, "offset", 0), 0)
    order = SORT_COLUMNS.get(request.query_params.get("sort", "plate"), vehicles.c.plate)
    query = vehicles.select().where(vehicles.c.active.is_(True)).order_by(order).limit(limit).offset(offset)
    rows = await database.fetch_all(query)  # ok-category: pagination
    return JSONResponse([dict(r._mapping) for r in rows])


async def vehicles_in_city(request: Request):
    city = request.path_params["city"]
    rows = await database.fetch_all(vehicles.select().where(vehicles.c.city == city, vehicles.c.active.is_(True)))  # expect-category: pagination
    return JSONResponse([dict(r._mapping) for r in rows])


async def search_vehicles(request: Request):
    term = request.query_params.get("q", "")
    rows = await database.fetch_all(query=f"SELECT id, plate, model FROM vehicles WHERE model ILIKE '%{term}%' LIMIT 20")  # expect-category: sql-injection, validation
    return JSONResponse([dict(r._mapping) for r in rows])


async def nearby(request: Request):
    city = request.query_params.get("city", "")
    if not city.isalpha() or len(city) > 64:
        raise HTTPException(400, "city must be alphabetic")
    limit = min(_int_param(request, "limit", 20), MAX_PAGE_SIZE)
    rows = await database.fetch_all("SELECT id, plate, model FROM vehicles WHERE city = :city AND active LIMIT :limit", values={"city": city, "limit": limit})  # ok-category: sql-injection, pagination, validation
    return JSONResponse([dict(r._mapping) for r in rows])


async def odometer_report(request: Request):
    column = request.query_params.get("group", "city")
    if column not in ("city", "model"):
        raise HTTPException(400, "group must be city or model")
    rows = await database.fetch_all(f"SELECT {column}, SUM(odometer_km) AS km FROM vehicles GROUP BY {column}")  # ok-category: sql-injection
    return JSONResponse([dict(r._mapping) for r in rows])


async def create_vehicle(request: Request):
    data = await request.json()
    vehicle_id = await database.execute(vehicles.insert().values(**data))  # expect-category: validation
    return JSONResponse({"id": vehicle_id}, status_code=201)


async def retire_vehicle(request: Request):
    vehicle_id = request.path_params["vehicle_id"]
    await database.execute(vehicles.update().where(vehicles.c.id == vehicle_id).values(active=False))
    return JSONResponse({"status": "retired"})


routes = [
    Route("/", list_vehicles, methods=["GET"]),
    Route("/", create_vehicle, methods=["POST"]),
    Route("/search", search_vehicles, methods=["GET"]),
    Route("/nearby", nearby, methods=["GET"]),
    Route("/odometer", odometer_report, methods=["GET"]),
    Route("/city/{city:str}", vehicles_in_city, methods=["GET"]),
    Route("/{vehicle_id:int}/retire", retire_vehicle, methods=["POST"]),
]
