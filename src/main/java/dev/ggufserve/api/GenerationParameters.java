package dev.ggufserve.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * The request fields that /v1/chat/completions and /v1/completions share. Absent fields are null;
 * {@link GenerationParameterValidation} checks ranges and fills in OpenAI's defaults.
 */
public interface GenerationParameters {

    String model();

    Integer maxTokens();

    Double temperature();

    Double topP();

    /** Extension (llama.cpp, vLLM): keep only the k most likely tokens; 0 turns it off. */
    Integer topK();

    /** Extension (llama.cpp, vLLM): drop tokens below min_p times the top probability. */
    Double minP();

    Double presencePenalty();

    Double frequencyPenalty();

    Map<String, Double> logitBias();

    Long seed();

    /** A string, an array of strings, or null. */
    JsonNode stop();

    Integer n();

    Boolean stream();

    StreamOptions streamOptions();
}
