from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

engine = create_async_engine("postgresql+asyncpg://app@db/app")
_reports = AsyncSession(engine)


async def save_report(report: object) -> None:
    _reports.add(report)
    await _reports.commit()
