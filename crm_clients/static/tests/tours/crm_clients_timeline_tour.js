import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_clients_timeline_tour", {
    steps: () => [
        {
            content: "Move the client to Active in the status bar",
            trigger: ".o_statusbar_status button:contains('Active')",
            run: "click",
        },
        {
            content: "The status is Active",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
        {
            content: "Open the note composer",
            trigger: ".o-mail-Chatter-topbar button.o-mail-Chatter-logNote",
            run: "click",
        },
        {
            content: "Write a note",
            trigger: ".o-mail-Composer-input",
            run: "edit Called them, they want a demo",
        },
        {
            content: "Log it",
            trigger: ".o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The note is in the chatter",
            trigger: ".o-mail-Message:contains('they want a demo')",
        },
        {
            content: "Open the Timeline tab",
            trigger: ".o_notebook a.nav-link:contains('Timeline')",
            run: "click",
        },
        {
            content: "Show status changes only",
            trigger: ".o_crm_client_timeline_filter[data-kind='status']",
            run: "click",
        },
        {
            content: "The status change is in the timeline",
            trigger: ".o_crm_client_timeline_entry[data-kind='status']:contains('New → Active')",
        },
        {
            content: "Show notes only",
            trigger: ".o_crm_client_timeline_filter[data-kind='note']",
            run: "click",
        },
        {
            content: "The new note is in the timeline, the status change is filtered out",
            trigger:
                ".o_crm_client_timeline:not(:has(.o_crm_client_timeline_entry[data-kind='status'])) .o_crm_client_timeline_entry:contains('they want a demo')",
        },
        {
            content: "Back to everything",
            trigger: ".o_crm_client_timeline_filter:contains('All')",
            run: "click",
        },
        {
            content: "Change the status again while the timeline is open",
            trigger: ".o_statusbar_status button:contains('VIP')",
            run: "click",
        },
        {
            content: "The timeline follows the saved record: the new status change is there at once",
            trigger: ".o_crm_client_timeline_entry[data-kind='status']:contains('Active → VIP')",
        },
        {
            content: "Open the Activities tab",
            trigger: ".o_notebook a.nav-link:contains('Activities')",
            run: "click",
        },
        {
            content: "Activities done are the timeline's, without its filters",
            trigger: ".o_notebook .tab-pane.active .o_crm_client_timeline:not(:has(.o_crm_client_timeline_filter))",
        },
    ],
});
