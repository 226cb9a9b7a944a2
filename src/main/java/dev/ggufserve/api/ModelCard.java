package dev.ggufserve.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** An entry of GET /v1/models, and the reply of GET /v1/models/{id}. */
@RegisterForReflection
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelCard(String id, String object, long created, String ownedBy) {

    public ModelCard(String id, long created) {
        this(id, "model", created, "gguf-serve");
    }

    /** The reply of GET /v1/models. */
    public record ModelList(String object, List<ModelCard> data) {

        public ModelList(List<ModelCard> data) {
            this("list", data);
        }
    }
}
