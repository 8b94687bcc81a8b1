"""Helpers the tests share: real servers and generated inputs, no mocks."""
