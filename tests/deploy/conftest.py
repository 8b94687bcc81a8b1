"""Rendered chart objects, once per session, for the default and the GPU values."""

from __future__ import annotations

import pytest

from tests.deploy.chart import GPU_VALUES, K8sObject, render_objects, values_file


@pytest.fixture(scope="session")
def default_objects() -> list[K8sObject]:
    return render_objects({})


@pytest.fixture(scope="session")
def gpu_objects() -> list[K8sObject]:
    return render_objects(values_file(GPU_VALUES))


@pytest.fixture(scope="session", params=["default", "gpu"])
def objects(request: pytest.FixtureRequest) -> list[K8sObject]:
    """The release objects for each values file the chart ships."""
    return list(request.getfixturevalue(f"{request.param}_objects"))
