"""Healthcare patient-event consumer: a Lambda function behind the patient stream's event source mapping.

See ``patient_events`` for what it does and how it is configured.
"""
