import { randomInt } from "node:crypto";

/**
 * Preorder numbers are `ROL-` + 8 random digits. Uniqueness comes from reserving the number with a
 * create-only document (`preorder_numbers/{number}`), not from a shared counter that would become one hot
 * document at launch; a clash (1 in 90 million per pair) just draws again.
 */
export const drawPreorderNumber = (): string => `ROL-${randomInt(10_000_000, 100_000_000)}`;
