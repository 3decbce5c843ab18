from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

engine = create_async_engine("postgresql+asyncpg://app@db/app")


async def save_report(report: object) -> None:
    async with AsyncSession(engine) as _reports:
        _reports.add(report)
        await _reports.commit()
