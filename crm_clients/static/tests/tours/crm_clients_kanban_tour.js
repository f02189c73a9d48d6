import { registry } from "@web/core/registry";

const card = ".o_kanban_record:contains('Tour Client Sp. z o.o.')";
const column = (name) => `.o_kanban_group:has(.o_column_title:contains('${name}'))`;

registry.category("web_tour.tours").add("crm_clients_kanban_tour", {
    url: "/odoo/clients",
    steps: () => [
        {
            content: "Narrow the board down to the client",
            trigger: ".o_searchview_input",
            run: "edit Tour Client",
        },
        {
            content: "Search",
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "The board was reloaded: the client is the only card left",
            trigger: `.o_kanban_renderer:not(:has(.o_kanban_record:not(.o_kanban_ghost):not(:contains('Tour Client Sp. z o.o.'))))`,
        },
        {
            content: "The client waits in the New column",
            trigger: `${column("New")} ${card}`,
        },
        {
            content: "Drag the card to the VIP column",
            trigger: `${column("New")} ${card}`,
            async run(helpers) {
                // Drop inside the column body, below its header.
                await helpers.drag_and_drop(column("VIP"), {
                    position: { top: 80, left: 40 },
                    relative: true,
                });
            },
        },
        {
            content: "The card is now in VIP",
            trigger: `${column("VIP")} ${card}`,
        },
        {
            content: "Give it three stars",
            trigger: `${card} .o_priority a.o_priority_star:eq(2)`,
            run: "click",
        },
        {
            content: "Three stars are lit",
            trigger: `${card} .o_priority a.o_priority_star.fa-star:eq(2)`,
        },
        {
            content: "Clear the search",
            trigger: ".o_searchview_facet .o_facet_remove",
            run: "click",
        },
        {
            content: "Every client is back on the board",
            trigger: ".o_kanban_record:not(:contains('Tour Client Sp. z o.o.'))",
        },
        {
            content: "Search by the NIP typed with dashes",
            trigger: ".o_searchview_input",
            run: "edit 526-104-08-28",
        },
        {
            content: "Choose to search the Tax ID",
            trigger: ".o_searchview_autocomplete li.o_menu_item:contains('Tax ID (NIP)')",
            run: "click",
        },
        {
            content: "The client is found, in VIP, with three stars",
            trigger: `${column("VIP")} ${card} .o_priority a.o_priority_star.fa-star:eq(2)`,
        },
        {
            content: "No other client matches",
            trigger: `.o_kanban_renderer:not(:has(.o_kanban_record:not(.o_kanban_ghost):not(:contains('Tour Client Sp. z o.o.'))))`,
        },
    ],
});
