"""Tests of the aiohttp companions: templating, sessions, CORS."""
