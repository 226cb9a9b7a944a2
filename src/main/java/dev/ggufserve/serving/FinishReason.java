package dev.ggufserve.serving;

/** Why a generation ended, in OpenAI's words. */
public enum FinishReason {
    /** The model ended its turn or a stop string appeared. */
    STOP("stop"),
    /** The token budget (max_tokens or the context) ran out. */
    LENGTH("length");

    private final String openAiName;

    FinishReason(String openAiName) {
        this.openAiName = openAiName;
    }

    public String openAiName() {
        return openAiName;
    }
}
