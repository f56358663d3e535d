/** The questions a verb may ask; the CLI passes one on a terminal only, tests a table of answers. */
export interface Prompter {
  input(q: {
    name: string;
    message: string;
    default?: string;
    validate?: (v: string) => Promise<string | true> | string | true;
  }): Promise<string>;
  select(q: {
    name: string;
    message: string;
    choices: { value: string; name: string }[];
    default?: string;
  }): Promise<string>;
  confirm(q: { name: string; message: string; default?: boolean }): Promise<boolean>;
}

const inquirer = () => import('@inquirer/prompts');

/** The interactive prompter, for a terminal; @inquirer/prompts loads at the first question. */
export const terminalPrompter: Prompter = {
  input: async ({ message, default: def, validate }) => (await inquirer()).input({ message, default: def, validate }),
  select: async ({ message, choices, default: def }) => (await inquirer()).select({ message, choices, default: def }),
  confirm: async ({ message, default: def }) => (await inquirer()).confirm({ message, default: def }),
};
