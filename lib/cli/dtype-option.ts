/** The `--dtype` option every model-loading command shares (generate, logits, eval, perplexity, extract). */
import { DTYPE_CHOICES } from '../model/options';

export const dtypeOption = {
  choices: DTYPE_CHOICES,
  default: 'float32' as const,
  describe:
    "compute dtype: float32, bfloat16, float16 (CUDA only), or auto (the checkpoint's own where the device computes it natively, else float32)",
};
