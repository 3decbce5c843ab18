from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

AsyncSessionLocal = async_sessionmaker(create_async_engine("sqlite+aiosqlite:///app.db"))
_session = AsyncSessionLocal()


def add(row: object) -> None:
    _session.add(row)
