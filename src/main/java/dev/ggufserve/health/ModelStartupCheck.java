package dev.ggufserve.health;

import dev.ggufserve.serving.ModelService;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started once the model file, tokenizer and engine are open. */
@Startup
@ApplicationScoped
public class ModelStartupCheck implements HealthCheck {

    private final ModelService modelService;

    public ModelStartupCheck(ModelService modelService) {
        this.modelService = modelService;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model-loaded").status(modelService.isLoaded()).build();
    }
}
