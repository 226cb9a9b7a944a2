package dev.ggufserve.api;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

@QuarkusTest
class ModelsEndpointTest {

    /** The bundled demo model's GGUF general.name. */
    static final String MODEL_ID = "llama";

    @Test
    void listsTheServedModel() {
        given().get("/v1/models").then()
                .statusCode(200)
                .contentType("application/json")
                .body("object", equalTo("list"))
                .body("data", hasSize(1))
                .body("data[0].id", equalTo(MODEL_ID))
                .body("data[0].object", equalTo("model"))
                .body("data[0].created", greaterThan(0))
                .body("data[0].owned_by", equalTo("gguf-serve"));
    }

    @Test
    void getsTheServedModelById() {
        given().get("/v1/models/" + MODEL_ID).then()
                .statusCode(200)
                .body("id", equalTo(MODEL_ID))
                .body("object", equalTo("model"));
    }

    @Test
    void unknownModelIdIs404InOpenAiShape() {
        given().get("/v1/models/gpt-4o").then()
                .statusCode(404)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"));
    }

    @Test
    void unknownUrlIs404InOpenAiShape() {
        given().get("/v1/embeddings").then()
                .statusCode(404)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("unknown_url"))
                .body("error.param", nullValue());
    }
}
