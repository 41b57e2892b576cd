from django.test import Client


def test_healthz_is_503_when_no_worker_answers(transactional_db: None, client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] is True
    assert body["broker"] is True
    assert body["worker"] is False


def test_healthz_is_200_with_database_broker_and_worker(start_worker, client: Client) -> None:
    start_worker()

    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
