"""Operator and benchmark scripts; importable so tests can reuse their builders."""
