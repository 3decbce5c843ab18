from fastapi import FastAPI

app = FastAPI()
RECENT_PROMPTS: list[str] = []


@app.post("/chat")
async def chat(prompt: str) -> list[str]:
    RECENT_PROMPTS.append(prompt)
    return RECENT_PROMPTS
