package dev.ggufserve.health;

import dev.ggufserve.serving.ModelService;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the model is loaded and has run its warm-up steps. */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    private final ModelService modelService;

    public ModelReadinessCheck(ModelService modelService) {
        this.modelService = modelService;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model-warmed-up").status(modelService.isReady()).build();
    }
}
