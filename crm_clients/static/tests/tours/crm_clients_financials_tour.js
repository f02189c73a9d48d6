import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_clients_financials_tour", {
    steps: () => [
        {
            content: "The client form shows its tabs",
            trigger: ".o_notebook a.nav-link:contains('Details')",
        },
        {
            content: "The Timeline and Settings tabs are there",
            trigger: ".o_notebook:has(a.nav-link:contains('Timeline')):has(a.nav-link:contains('Settings'))",
        },
        {
            content: "No Financials tab for a user outside the financials group",
            trigger: ".o_notebook:not(:has(a.nav-link:contains('Financials')))",
        },
    ],
});
