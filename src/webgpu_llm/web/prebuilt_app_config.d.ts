// Declarations of prebuilt_app_config.js (and of the module `webgpu-llm serve` generates in its place).

import type { AppConfig } from "./config.js";

/** The default AppConfig: MLC's published models of the families we run, under WebLLM's ids. */
export declare const prebuiltAppConfig: AppConfig;
