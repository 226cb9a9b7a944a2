package dev.ggufserve.api;

import dev.ggufserve.serving.ModelService;
import dev.ggufserve.serving.ServedModel;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** GET /v1/models and GET /v1/models/{id}: the one model this server serves. */
@ApplicationScoped
public class ModelsEndpoint {

    private final ModelService modelService;
    private final ApiJson json;

    public ModelsEndpoint(ModelService modelService, ApiJson json) {
        this.modelService = modelService;
        this.json = json;
    }

    void list(RoutingContext context) {
        json.sendJson(context.response(), 200, new ModelCard.ModelList(List.of(card())));
    }

    void get(RoutingContext context) {
        String id = context.pathParam("id");
        if (!modelService.model().id().equals(id)) {
            throw NotFoundException.model(id);
        }
        json.sendJson(context.response(), 200, card());
    }

    private ModelCard card() {
        ServedModel served = modelService.model();
        return new ModelCard(served.id(), served.createdEpochSeconds());
    }
}
